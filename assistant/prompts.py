"""Versioned prompt files (prompts/<name>.v<N>.txt) with `### system` / `### user` sections and
`{variable}` slots; rendering fails loudly on a missing variable."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from core.settings import PROJECT_ROOT

PROMPTS_DIR = PROJECT_ROOT / "prompts"
_VAR = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_SECTION = re.compile(r"^### (\w+)\s*$", re.M)


class PromptError(KeyError):
    """A prompt file is missing, or a variable it uses was not supplied."""


@dataclass(frozen=True)
class Prompt:
    """A loaded prompt: its version name ("answer.v1") and its sections (system, user, or "text")."""

    version: str
    sections: dict[str, str]

    @property
    def variables(self) -> set[str]:
        return {v for s in self.sections.values() for v in _VAR.findall(s)}

    def render(self, section: str = "user", **values: object) -> str:
        """Fill a section's `{name}` slots; raise PromptError naming any variable not supplied."""
        if section not in self.sections:
            raise PromptError(f"{self.version}: no section {section!r}")
        text = self.sections[section]
        missing = sorted(set(_VAR.findall(text)) - set(values))
        if missing:
            raise PromptError(f"{self.version}: missing variable(s) {', '.join(missing)}")
        return _VAR.sub(lambda m: str(values[m.group(1)]), text)


def load_prompt(version: str, directory: Path | None = None) -> Prompt:
    """Read prompts/<version>.txt (e.g. "answer.v1"); a file without sections has one section "text"."""
    path = (directory or PROMPTS_DIR) / f"{version}.txt"
    if not path.exists():
        raise PromptError(f"prompt file not found: {path}")
    raw = path.read_text(encoding="utf-8")
    parts = _SECTION.split(raw)
    if len(parts) == 1:
        return Prompt(version, {"text": raw.strip()})
    sections = {parts[i].lower(): parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}
    return Prompt(version, sections)

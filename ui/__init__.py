"""Page helpers for app.py: pure rendering (render), upload/removal of corpus files (uploads), the
cached service factory and Streamlit components (services, components)."""

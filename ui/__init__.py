"""Page helpers for app.py: pure rendering (render), the chat's session logic (chat: queued questions, what a
streaming answer shows, the expected wait), upload/removal of corpus files (uploads), the cached service
factory with the server-wide answer queue (services) and the Streamlit components (components)."""

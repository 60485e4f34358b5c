"""Local stand-ins for the vendors' APIs (real HTTP servers on 127.0.0.1) for end-to-end tests."""

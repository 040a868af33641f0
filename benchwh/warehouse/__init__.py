"""The only place in benchwh that speaks SQL: connect, migrate, write, read."""

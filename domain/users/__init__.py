"""The users context: registration, profiles, authentication and deactivation."""

"""Django apps: the adapters around the framework-free ``domain`` package."""

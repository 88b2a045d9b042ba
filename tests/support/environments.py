"""The smallest environment config.environment.load accepts with DEBUG off, for tests of one group of variables."""

PRODUCTION = {
    "SECRET_KEY": "s3cr3t-" * 8,
    "JWT_ALGORITHM": "HS256",
    "JWT_SECRET": "j" * 32,
    "PAYMENT_PROVIDER": "simulated",
}

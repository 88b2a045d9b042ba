"""Values several kinds of tests share."""

PASSWORD = "a sufficiently long passphrase"

"""Authentication for the admin API: passwords, access and refresh tokens, throttling, principals."""

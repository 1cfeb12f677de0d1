"""What every resource's routes share: body and query parsing, pagination, credentials, errors."""

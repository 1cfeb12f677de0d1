"""Call records at `GET /termination/cdrs`: a tenant's ended calls, as JSON pages or streamed CSV."""

"""Domain types defined once: ids, countries, phone numbers, money."""

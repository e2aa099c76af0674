"""What a user may see of the pooled data: filtered by sharing agreements, enforced by the database, audited."""

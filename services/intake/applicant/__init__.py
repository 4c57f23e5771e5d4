"""What the applicant follows: the status link (JSON or page) and the pages behind it."""

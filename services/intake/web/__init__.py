"""How intake's pages are drawn, for the applicant's pages and the staff console alike: one Jinja2 environment
(server-rendered HTML, autoescaped), the templates, the translations of the applicant's pages, and the static
files with one small vendored script library (htmx). No build step."""

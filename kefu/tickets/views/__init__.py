"""Staff HTML views for tickets, split by page: queue (lists, search, overview), detail (the ticket
page and its actions) and intake (quick phone intake)."""

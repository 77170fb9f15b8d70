"""What people read, drawn from an Assessment: tables, narrative, charts, HTML pieces,
the Word report, the data-quality view, the index page, labels in two languages."""

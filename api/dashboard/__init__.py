"""The dashboard: server-rendered HTML pages for people, one per trust, no JavaScript.

    session.py   who is looking: a key from `?token=` (kept in a cookie), the cookie, or a bearer
    data.py      what a trust page shows, gathered from the served run and the store
    chart.py     the charts, as inline SVG (forecast.report.charts draws them)
    page.py      the HTML
    dashboard.css  its only stylesheet, served from the package (the CSP allows nothing else)
"""

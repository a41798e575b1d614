"""The donations domain's rules, one module per part of the flow (too many for one file):

- funds: funds and campaigns, who runs and who sees them, opening and closing
- pledges: promising money or goods, editing, the hand-set ends of a pledge
- queue: the coordinators' desk across the funds a person runs
- intake: recording what really arrived, posted to the public ledger
- distribute: payouts of money and goods to households and partner organisations
- ledger: the public ledger, posting and reading, a fund's totals
- allocation: which gift each payout drew on (first in, first out)
- stored: the stored figures kept beside the ledger, checked and rebuilt by the CLI
- notices: what donors are told
- csv_export: the public ledger as a CSV download

Like every domain's services, they take the actor and the time, flush and never commit.
The tables are in models.py and movements.py; views.py, manage_views.py, api.py and
desk_api.py are the thin endpoints.
"""

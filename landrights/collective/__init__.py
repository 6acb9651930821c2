"""The collective economic organization (集体经济组织, R7.1-R7.13): members, shares, dividends."""

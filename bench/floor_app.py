"""The floor under any Flask lookup on this machine: a Flask view that returns a fixed parcel
Feature (the size of a real one) and touches no database, no login, no schema.

bench/county_million.py serves it with the same gunicorn settings and loads it with the same HTTP
client as the real lookups, so its p50/p99 say how much of the app's latency is the web stack and
the machine (the client threads share the two cores with the workers) rather than landrights.

    .venv/bin/gunicorn -w 2 --threads 4 --chdir bench floor_app:app
"""
from flask import Flask, jsonify

app = Flask(__name__)

FEATURE = {
    "type": "Feature", "id": "2204221010010100001",
    "geometry": {"type": "MultiPolygon", "coordinates": [[[
        [125.00012345, 43.20012345], [125.00042345, 43.20012345], [125.00042345, 43.20152345],
        [125.00012345, 43.20152345], [125.00012345, 43.20012345]]]]},
    "properties": {"code": "2204221010010100001", "name": "东大地", "status": "surveyed",
                   "collective_code": "22042210100101", "area_m2": 3712.44, "area_mu": 5.57,
                   "surveyed_area_m2": 3712.0, "version": 1, "holder": None, "contract": None},
}


@app.get("/api/v1/parcels/<code>")
def parcel(code: str):
    return jsonify({**FEATURE, "id": code})

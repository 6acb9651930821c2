"""Confirmation and certification (确权登记颁证): notice, objections, sign-off, certificates."""

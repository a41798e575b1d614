"""Wushe (五社通): volunteer and resident engagement for 五社联动."""

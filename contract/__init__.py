"""The ground floor: errors, settings and the input contract, validated at the edge."""

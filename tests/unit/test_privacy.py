import pytest

from samen030.kernel.privacy import find_personal_data


@pytest.mark.parametrize("value", [
    {"email": "x"}, {"nested": [{"phone": "x"}]}, {"note": "mail jan.jansen@example.nl"},
    {"note": "bel 06-12345678"}, {"note": "+31 30 123 4567"}, {"Date_Of_Birth": "1950-01-01"},
])
def test_personal_data_is_found(value):
    assert find_personal_data(value)


@pytest.mark.parametrize("value", [
    {"offer_id": "8f7c3e5a-1b2c-4d5e-8f90-123456789abc", "buurt": "BU03440832", "version": 3,
     "updated_at": "2026-11-27T10:00:00Z", "count": 12, "name": "Taalcafé"},
])
def test_ids_codes_counts_and_times_pass(value):
    assert find_personal_data(value) == []

import pytest

from samen030.kernel.privacy import find_personal_data


@pytest.mark.parametrize("value", [
    {"email": "x"}, {"nested": [{"phone": "x"}]}, {"note": "mail jan.jansen@example.nl"},
    {"note": "bel 06-12345678"}, {"note": "+31 30 123 4567"}, {"note": "0302345678"},
    {"Date_Of_Birth": "1950-01-01"},
])
def test_personal_data_is_found(value):
    assert find_personal_data(value)


@pytest.mark.parametrize("value", [
    {"offer_id": "8f7c3e5a-1b2c-4d5e-8f90-123456789abc", "buurt": "BU03440832", "version": 3,
     "updated_at": "2026-11-27T10:00:00Z", "count": 12, "name": "Taalcafé"},
    {"offer_id": "1054cfac-f062-4088-899a-53a81ddd3ca3"},  # digit runs inside ids are not phone numbers
    {"id": "8f7c3e5a-0624-4088-8899-123456789abc"},
    {"updated_at": "2026-11-27T14:15:51.016974Z"},
])
def test_ids_codes_counts_and_times_pass(value):
    assert find_personal_data(value) == []

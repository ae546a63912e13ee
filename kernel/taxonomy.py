"""The SAMEN030 top-level categories every offer and question is filed under (Dutch label, English)."""
CATEGORIES: dict[str, tuple[str, str]] = {
    "informatie": ("Informatie en advies", "Information and advice"),
    "praktische-hulp": ("Praktische hulp", "Practical help"),
    "welzijn-ontmoeten": ("Welzijn, ontmoeten en samen doen", "Welfare, meeting and doing things together"),
    "lichte-zorg": ("Lichte zorg en gezondheid", "Light care and health"),
    "werk-ondernemen": ("Werk en ondernemen", "Work and entrepreneurship"),
    "buurtzaken": ("Buurtzaken", "Neighbourhood affairs"),
}

"""Catalog: what is sold and at what price. Courses, programs (bundles), prices and their
history, discount codes, exchange rates and display currencies, the storefront's reads.
"""

from .catalog import (
    CourseDetail,
    PriceTag,
    ProgramCourseLine,
    ProgramDetail,
    course_detail,
    department_detail,
    program_detail,
    public_code,
)
from .catalog_browse import (
    SORTS,
    CatalogCard,
    CatalogQuery,
    browse,
    categories,
    course_titles,
    like_pattern,
)
from .credit_packs import (
    CreditPackIn,
    CreditPackRow,
    create_credit_pack,
    credit_pack_options,
    credits_notes,
    get_credit_pack,
    list_credit_packs,
    publish_credit_pack,
    published_credit_packs,
    update_credit_pack,
)
from .discount_checks import check_code
from .discount_options import item_options, listed_item_counts
from .discount_reports import code_stats, code_status, get_code, list_codes
from .discounts import CodeInput, code_departments, create_code, set_code_active, update_code
from .fx import (
    DisplayAmounts,
    Pricing,
    converted_price,
    display_options,
    list_rates,
    pricing_for,
    set_rate,
    settlement_worth,
    to_display,
)
from .price_access import pricing_departments
from .price_list import PriceRow, list_prices, price_history
from .prices_now import course_prices_in_force, in_force_clause, prices_in_force
from .prices_table import (
    CatalogVersion,
    catalog_version,
    recent_catalog_version,
    refresh_due,
    table_rows,
)
from .prices_table import install as _install_prices_table
from .prices_table import rebuild as rebuild_prices_in_force
from .pricing import create_price, deactivate_price
from .programs import (
    BundlePrice,
    ProgramRow,
    bundle_prices,
    create_program,
    get_program,
    list_programs,
    program_options,
    update_program,
)
from .programs import ProgramDetail as AdminProgramDetail
from .storefront import departments, published_courses

__all__ = [
    "AdminProgramDetail",
    "BundlePrice",
    "CatalogVersion",
    "CatalogCard",
    "CatalogQuery",
    "CodeInput",
    "CourseDetail",
    "CreditPackIn",
    "CreditPackRow",
    "DisplayAmounts",
    "PriceRow",
    "PriceTag",
    "Pricing",
    "ProgramCourseLine",
    "ProgramDetail",
    "ProgramRow",
    "SORTS",
    "browse",
    "bundle_prices",
    "catalog_version",
    "categories",
    "check_code",
    "code_stats",
    "code_status",
    "converted_price",
    "course_detail",
    "course_prices_in_force",
    "course_titles",
    "code_departments",
    "create_code",
    "create_credit_pack",
    "credit_pack_options",
    "credits_notes",
    "create_price",
    "create_program",
    "deactivate_price",
    "department_detail",
    "departments",
    "display_options",
    "get_code",
    "get_credit_pack",
    "get_program",
    "in_force_clause",
    "item_options",
    "like_pattern",
    "list_codes",
    "list_credit_packs",
    "list_prices",
    "list_programs",
    "list_rates",
    "listed_item_counts",
    "price_history",
    "prices_in_force",
    "pricing_departments",
    "pricing_for",
    "program_detail",
    "program_options",
    "publish_credit_pack",
    "published_credit_packs",
    "public_code",
    "published_courses",
    "rebuild_prices_in_force",
    "recent_catalog_version",
    "refresh_due",
    "set_code_active",
    "set_rate",
    "settlement_worth",
    "table_rows",
    "to_display",
    "update_code",
    "update_credit_pack",
    "update_program",
]

# price_in_force and the catalog's version follow every session's flushes (prices_table.py)
_install_prices_table()

"""The ``stats`` blueprint object; its views register on it when the package is imported."""
from flask import Blueprint

from stts.charts import month_name, number

bp = Blueprint("stats", __name__, url_prefix="/statistics")
bp.add_app_template_filter(month_name, "month_name")
bp.add_app_template_filter(number, "number")

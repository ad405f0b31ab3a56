from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import RadioField

from ..core.forms import choices


class ImportForm(FlaskForm):
    file = FileField(
        "Spreadsheet file",
        description="A .csv (UTF-8) or .xlsx file laid out like the template.",
        validators=[FileRequired("Choose the spreadsheet file to import")],
    )
    mode = RadioField(
        "What to do",
        choices=choices(
            {
                "check": "Check the file only (a dry run: nothing is imported)",
                "import": "Import it (all rows, or nothing if any row has a problem)",
            }
        ),
        default="check",
    )

"""``flask stts send-xml FILE --sender USERNAME``."""
import os

from stts.models import XmlBatch
from tests.web.xml_helpers import batch_xml, enable_xml, request_msg


def test_send_xml_command_processes_the_file(app, tmp_path):
    enable_xml()
    path = tmp_path / "batch.xml"
    path.write_bytes(batch_xml(request_msg("cli-1", 60)))
    result = app.test_cli_runner().invoke(args=["stts", "send-xml", str(path),
                                                "--sender", "lm.alpha"])
    assert result.exit_code == 0, result.output
    assert "DONE" in result.output and "accepted 1" in result.output
    batch = XmlBatch.select().order_by(XmlBatch.id.desc()).get()
    assert batch.state == "DONE" and os.path.exists(
        os.path.join(app.instance_path, "xml", batch.response_name))


def test_send_xml_command_refuses_a_user_without_the_right(app, tmp_path):
    enable_xml()
    path = tmp_path / "batch.xml"
    path.write_bytes(batch_xml(request_msg("cli-2", 61)))
    result = app.test_cli_runner().invoke(args=["stts", "send-xml", str(path),
                                                "--sender", "stts1.alpha"])
    assert result.exit_code == 2 and XmlBatch.select().count() == 0

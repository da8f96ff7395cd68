"""The uvicorn release api.server was written and tested against: pinned, and its hooks present.

api.server overrides methods of uvicorn's HttpToolsProtocol that are not a public interface.
Upgrading uvicorn means widening the pin in pyproject.toml; this test then says whether the
methods are still there, and tests/http (pipelining, parser refusals, header limits) whether
they still behave as the bounds need.
"""

import inspect
import tomllib
from importlib.metadata import version

import uvicorn
from packaging.requirements import Requirement
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from api.server import UVICORN_HOOKS
from api.settings import PROJECT_ROOT


def test_installed_uvicorn_is_the_pinned_release() -> None:
    dependencies = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    (pin,) = [Requirement(d) for d in dependencies if Requirement(d).name == "uvicorn"]
    assert pin.specifier, "uvicorn must be pinned to the releases api.server was tested on"
    assert pin.specifier.contains(version("uvicorn")), (version("uvicorn"), str(pin.specifier))


def test_the_overridden_methods_exist() -> None:
    missing = [name for name in UVICORN_HOOKS if not callable(getattr(HttpToolsProtocol, name, None))]
    assert not missing, f"uvicorn's HttpToolsProtocol no longer has {missing}"


def test_responses_report_completion_and_reading_goes_through_the_transport() -> None:
    # The pipelining bound counts a response done in on_response_complete, and holds a
    # connection by gating the transport's pause_reading/resume_reading that uvicorn calls.
    assert "on_response=self.on_response_complete" in inspect.getsource(HttpToolsProtocol.on_headers_complete)
    assert "self._transport.pause_reading()" in inspect.getsource(FlowControl.pause_reading)
    assert "self._transport.resume_reading()" in inspect.getsource(FlowControl.resume_reading)


def test_the_public_interface_the_worker_supervisor_uses_is_there() -> None:
    # api/supervisor.py binds through Config.bind_socket, runs Server.run(sockets=...) in each
    # worker, reads Server.started and sets Server.should_exit, and takes Config's callback_notify
    # (called from the event loop once serving) as the heartbeat; tests/http/test_worker_file_check.py
    # checks over real processes that it behaves so.
    config_parameters = inspect.signature(uvicorn.Config).parameters
    assert {"callback_notify", "timeout_notify", "lifespan", "http"} <= set(config_parameters)
    assert callable(uvicorn.Config.bind_socket)
    assert "sockets" in inspect.signature(uvicorn.Server.run).parameters
    server = uvicorn.Server(uvicorn.Config("api.main:create_app", factory=True))
    assert server.started is False and server.should_exit is False
    assert "callback_notify" in inspect.getsource(uvicorn.Server.on_tick)


def test_the_target_and_headers_are_read_after_the_absolute_form_is_rewritten() -> None:
    # api.server takes an absolute-form target by rewriting self.url and the Host line of
    # self.headers (the scope's own list) before uvicorn's on_headers_complete reads them; and it
    # counts the body bytes uvicorn drops once the response is complete.
    assert "httptools.parse_url(self.url)" in inspect.getsource(HttpToolsProtocol.on_headers_complete)
    assert '"headers": self.headers' in inspect.getsource(HttpToolsProtocol.on_message_begin)
    assert "self.cycle.response_complete" in inspect.getsource(HttpToolsProtocol.on_body)

"""Transport safety on loopback: TLS verification, CA bundles, plain HTTP, proxies from the env.

A real TLS server on 127.0.0.1 with a certificate from a throw-away CA made
here: refused by default (the CA is not trusted), accepted with
``verify = "<ca.pem>"`` and with ``verify = false``. A loopback HTTP proxy
named by ``HTTP_PROXY`` carries requests for a non-loopback host, which
also shows that plain ``http://`` to such a host needs ``allow_insecure``.
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from ipaddress import IPv4Address
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import SecretStr

from jobtui.config.model import PROVIDER_CONFIG_TYPES, Config, ProviderConfig, SecretRef
from jobtui.engine import Engine, ManualClock
from jobtui.errors import ConfigError, FetchCategory, FetchError
from jobtui.model import HealthState, Job, JobState
from jobtui.providers import KINDS, create_provider
from jobtui.providers.http import make_client
from jobtui.store import Store

from support.scripted_server import Reply, ScriptedServer, serve

JOB: dict[str, object] = {
    "id": "77",
    "status": "IN_PROGRESS",
    "created": "2026-11-23T08:00:00+00:00",
    "completed": None,
    "input": {},
    "tags": [],
}
SECRET = "transport-test-api-key-1234"


def superai(base_url: str, **settings: object) -> ProviderConfig:
    secrets = {"api_key": SecretRef(key="api_key", source="literal", literal=SecretStr(SECRET))}
    return PROVIDER_CONFIG_TYPES["superai"].model_validate(
        {"name": "s", "kind": "superai", "base_url": base_url, "secrets": secrets, **settings}
    )


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, ssl.SSLContext]:
    """A CA file and a server context whose certificate (for 127.0.0.1) that CA signed."""
    directory = tmp_path_factory.mktemp("pki")
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("jobtui test CA"))
        .issuer_name(_name("jobtui test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(IPv4Address("127.0.0.1"))]), critical=False
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    ca_file = directory / "ca.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file, key_file = directory / "server.pem", directory / "server.key"
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return ca_file, context


@pytest.fixture
def tls_server(pki: tuple[Path, ssl.SSLContext]) -> Iterator[ScriptedServer]:
    server = ScriptedServer()
    server._server.socket = pki[1].wrap_socket(server._server.socket, server_side=True)
    server.url = server.url.replace("http://", "https://")
    server.script("GET", "/v1/jobs/77", Reply(200, JOB))
    server.start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _no_ambient_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    # trust_env is on: a proxy or CA bundle from the runner's environment would change the test.
    for name in (
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "NO_PROXY",
        "SSL_CERT_FILE",
        "SSL_CERT_DIR",
        "REQUESTS_CA_BUNDLE",
        "CURL_CA_BUNDLE",
    ):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


async def fetch_one(config: ProviderConfig, job_id: str = "77") -> Job | FetchError:
    provider = create_provider(config)
    try:
        [result] = await provider.fetch([job_id])
    finally:
        await provider.aclose()
    assert isinstance(result, Job | FetchError)
    return result


async def test_tls_is_verified_by_default(tls_server: ScriptedServer) -> None:
    result = await fetch_one(superai(tls_server.url))
    assert isinstance(result, FetchError)
    assert result.category is FetchCategory.NETWORK
    # The handshake failed before any request (and so any key) was sent.
    assert tls_server.requests == []
    assert SECRET not in str(result)


async def test_verify_names_a_ca_bundle(
    tls_server: ScriptedServer, pki: tuple[Path, ssl.SSLContext]
) -> None:
    result = await fetch_one(superai(tls_server.url, verify=str(pki[0])))
    assert isinstance(result, Job), result
    assert result.state is JobState.RUNNING
    assert tls_server.to("GET", "/v1/jobs/77")[0].headers["api-key"] == SECRET


async def test_verify_false_turns_verification_off(tls_server: ScriptedServer) -> None:
    result = await fetch_one(superai(tls_server.url, verify=False))
    assert isinstance(result, Job), result


def test_a_missing_ca_bundle_is_a_config_error(tmp_path: Path) -> None:
    config = superai("https://127.0.0.1:9", verify=str(tmp_path / "no.pem"))
    with pytest.raises(ConfigError) as caught:
        make_client(config, "https://127.0.0.1:9")
    assert "providers.s.verify" in str(caught.value)


async def test_a_missing_ca_bundle_stops_the_provider_with_a_clear_error(
    tmp_path: Path,
) -> None:
    # Found here: the bundle was first read inside fetch(), so a ConfigError escaped it
    # and the job showed only "provider error: ConfigError". Now it fails at start-up.
    config = Config(
        providers={"s": superai("https://127.0.0.1:9", verify=str(tmp_path / "no.pem"))}
    )
    with pytest.raises(ConfigError, match="verify"):
        create_provider(config.providers["s"])
    with Store(tmp_path / "jobs.sqlite") as store:
        engine = Engine(config, store, clock=ManualClock(), discover=False)
        health = engine.health()["s"]
        await engine.aclose()
    assert health.state is HealthState.AUTH_FAILED
    assert health.last_error is not None and "cannot load CA bundle" in health.last_error


def _table(kind: str, base_url: str, **extra: object) -> ProviderConfig:
    table: dict[str, object] = {"name": kind, "kind": kind, "base_url": base_url, **extra}
    if kind == "cognite":
        table.update(project="p", token_url="https://login.example.test/token", client_id="c")
    if kind == "imageintelligence":
        table.update(client_id="c")
    return PROVIDER_CONFIG_TYPES[kind].model_validate(table)


@pytest.mark.parametrize("kind", KINDS)
def test_plain_http_to_a_remote_host_is_refused(kind: str) -> None:
    with pytest.raises(ConfigError) as caught:
        create_provider(_table(kind, "http://jobs.example.test"))
    assert "allow_insecure" in str(caught.value)
    assert f"providers.{kind}.base_url" in str(caught.value)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "[::1]", "127.8.9.10"])
def test_plain_http_to_loopback_is_allowed(kind: str, host: str) -> None:
    create_provider(_table(kind, f"http://{host}:8080"))


@pytest.mark.parametrize("kind", KINDS)
def test_allow_insecure_permits_plain_http(kind: str) -> None:
    create_provider(_table(kind, "http://jobs.example.test", allow_insecure=True))


def test_cognite_token_url_over_plain_http_is_refused_too() -> None:
    with pytest.raises(ConfigError) as caught:
        create_provider(
            _table("cognite", "https://api.example.test").model_copy(
                update={"token_url": "http://login.example.test/token"}
            )
        )
    assert "token_url" in str(caught.value)


@pytest.mark.parametrize("url", ["ftp://127.0.0.1/x", "file:///etc/passwd", "127.0.0.1:80"])
def test_other_schemes_are_refused(url: str) -> None:
    with pytest.raises(ConfigError):
        create_provider(superai(url))


async def test_an_unchanged_job_is_parsed_once_and_a_changed_one_again() -> None:
    with serve() as server:
        done = {**JOB, "status": "FAILED", "completed": "2026-11-23T09:00:00+00:00"}
        server.script("GET", "/v1/jobs/77", Reply(200, JOB), Reply(200, JOB), Reply(200, done))
        provider = create_provider(superai(server.url))
        try:
            [first], [again], [changed] = [await provider.fetch(["77"]) for _ in range(3)]
        finally:
            await provider.aclose()
    assert isinstance(first, Job) and isinstance(changed, Job)
    assert again is first
    assert (first.state, changed.state) == (JobState.RUNNING, JobState.FAILED)


@pytest.fixture
def proxy() -> Iterator[ScriptedServer]:
    with serve() as server:
        # A forward proxy sees the absolute URL; ScriptedServer routes on its path.
        server.script("GET", "/v1/jobs/77", Reply(200, JOB))
        yield server


async def test_proxies_come_from_the_environment(
    proxy: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", proxy.url)
    result = await fetch_one(superai("http://jobs.example.test", allow_insecure=True))
    assert isinstance(result, Job), result
    [request] = proxy.requests
    assert request.target == "http://jobs.example.test/v1/jobs/77"
    assert request.headers["host"] == "jobs.example.test"


@pytest.mark.filterwarnings("ignore:The 'proxy_auth' parameter is deprecated")
async def test_every_request_goes_through_the_proxy_with_its_credentials(
    proxy: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The proxy is looked up once per origin: later requests use it too, and the
    # credentials in HTTP_PROXY go as Proxy-Authorization, never in the request line.
    user_url = proxy.url.replace("http://", "http://someone:pa55word@")
    monkeypatch.setenv("HTTP_PROXY", user_url)
    provider = create_provider(superai("http://jobs.example.test", allow_insecure=True))
    try:
        for _ in range(3):
            result = await provider.fetch(["77"])
            assert isinstance(result[0], Job), result
    finally:
        await provider.aclose()
    assert [r.target for r in proxy.requests] == ["http://jobs.example.test/v1/jobs/77"] * 3
    # base64("someone:pa55word")
    assert {r.headers.get("proxy-authorization") for r in proxy.requests} == {
        "Basic c29tZW9uZTpwYTU1d29yZA=="
    }


async def test_no_proxy_is_honoured(proxy: ScriptedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    result = await fetch_one(superai(proxy.url))
    assert isinstance(result, Job), result
    assert proxy.requests[0].target == "/v1/jobs/77"

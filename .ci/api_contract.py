"""The API contract check: schemathesis with every check against the running portal, once
with an integration key and once with a dealer's personal token (README: API).

    .venv/bin/python .ci/api_contract.py [--examples 200] [--seed N]

It migrates the database in DATABASE_URL and loads a small demo data set into it, so
point DATABASE_URL at a scratch database (CI: its own fresh one); without DATABASE_URL
it uses a throwaway SQLite file. REDIS_URL is used as given. The portal runs under
gunicorn with production settings (DEBUG=0) on a free local port. Exits non-zero when
either run finds a failure, or when no generated lead was created (the intake would
then only have been fuzzed on its rejection path).
"""

import argparse
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
SETUP = """
from dealers.models import DealerMembership
from leads.models import Integration
from leads.services.api_keys import api_key_create
from portal.users.models import Role

integration, _ = Integration.objects.get_or_create(
    name="API contract check", defaults={"kind": Integration.Kind.WEB_FORM}
)
admin = (
    DealerMembership.objects.filter(role=Role.DEALER_ADMIN, dealer__status="active")
    .order_by("pk")
    .first()
    .user
)
# What the schema's example account refers to (its parent, account manager and serving
# dealer), so that the documented example is taken as it reads.
from dealers.models import Dealer
from leads.api.serializers import AccountItemSerializer
from leads.services.accounts_sync import accounts_upsert
from portal.users.models import StaffProfile, User

eva = User.objects.filter(email="eva.visser@example.com").first() or User.objects.create_user(
    email="eva.visser@example.com", name="Eva Visser"
)
StaffProfile.objects.get_or_create(
    user=eva, defaults={"role": Role.INTERNAL_SALES, "is_account_manager": True}
)
if not Dealer.objects.filter(external_id="DLR-7").exists():
    dealer = Dealer.objects.filter(status="active").order_by("pk").first()
    Dealer.objects.filter(pk=dealer.pk).update(external_id="DLR-7")
parent = AccountItemSerializer(
    data={"external_id": "crm-acc-100", "legal_name": "Van Dijk Holding B.V.", "country": "NL"}
)
parent.is_valid(raise_exception=True)
accounts_upsert([parent.validated_data])
print(integration.pk)
print(api_key_create(name="API contract check", integration=integration, scopes=["leads", "accounts"])[1])
print(api_key_create(name="API contract check", user=admin)[1])
"""
CREATED = """
from leads.models import Lead
print(Lead.objects.filter(integration_id={pk}, created_at__gte="{since}").count())
"""


def manage(env: dict, *args: str) -> str:
    result = subprocess.run(
        [str(BIN / "python"), "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode:
        sys.exit(f"manage.py {' '.join(args[:2])} failed:\n{result.stderr}")
    return result.stdout


def shell(env: dict, code: str) -> str:
    return manage(env, "shell", "-v", "0", "-c", code).strip()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=200, help="schemathesis --max-examples")
    parser.add_argument("--seed", help="schemathesis --seed (default: a new one, printed)")
    options = parser.parse_args()
    started = time.monotonic()
    scratch = tempfile.mkdtemp(prefix="api-contract-")
    env = {
        **os.environ,
        "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{scratch}/portal.sqlite3",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "REQUIRE_STAFF_MFA": "0",
        "EMAIL_URL": "consolemail://",
        "STATIC_ROOT": f"{scratch}/static",
        # schemathesis sends wrong keys on purpose (its auth checks); the throttle of
        # failed keys has its own tests and would otherwise answer 429 to the rest
        "API_KEY_FAILURE_RATE": "100000/min",
        "PYTHONUNBUFFERED": "1",
    }
    print("== API contract: database and demo data", flush=True)
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "collectstatic", "--noinput", "-v", "0")  # error pages need the manifest
    manage(
        env, "seed_demo", "--accounts", "200", "--claims", "20", "--leads", "300", "--quiet-logins"
    )
    since = shell(env, "from django.utils import timezone; print(timezone.now())")
    integration, integration_key, dealer_token = shell(env, SETUP).split()

    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "portal.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(Path(scratch) / "gunicorn.log", "w"),  # noqa: SIM115
    )
    failed = []
    try:
        for who, key in (("an integration key", integration_key), ("a dealer token", dealer_token)):
            print(f"== API contract: schemathesis with {who}", flush=True)
            command = [
                str(BIN / "schemathesis"),
                "--config-file",
                str(ROOT / ".ci" / "schemathesis.toml"),
                "run",
                f"http://127.0.0.1:{port}/api/schema/",
                "--checks",
                "all",
                "--header",
                f"Authorization: Api-Key {key}",
                "--max-examples",
                str(options.examples),
                "--wait-for-schema",
                "30",
                "--no-color",
            ]
            if options.seed:
                command += ["--seed", options.seed]
            run_env = {
                **env,
                "SCHEMATHESIS_HOOKS": "api_contract_hooks",
                "PYTHONPATH": f"{ROOT / '.ci'}:{ROOT}",
            }
            if subprocess.run(command, cwd=scratch, env=run_env).returncode != 0:
                failed.append(who)
    finally:
        server.terminate()
        server.wait(timeout=30)
    created = int(shell(env, CREATED.format(pk=integration, since=since)))
    print(f"== API contract: {created} generated leads were created and routed")
    if not created:
        failed.append("intake (no generated lead was accepted)")
    print(f"== API contract: {time.monotonic() - started:.0f} s", flush=True)
    if failed:
        print(f"API contract check failed: {', '.join(failed)}; gunicorn log in {scratch}")
        return 1
    shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

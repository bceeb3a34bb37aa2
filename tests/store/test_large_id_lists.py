"""No statement grows with the corpus: the ``--wait`` report and ``reclean`` over 70,000
documents on PostgreSQL, which refuses a statement of more than 65,535 parameters."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import func, insert, select

from tests.conftest import CorpusEnv
from tests.support import servers

N = 70_000
SITE = "big.example"


def test_the_wait_report_and_reclean_handle_70000_documents_on_postgresql(
        tmp_path, redis_server, postgres_server, monkeypatch, capsys):
    from ingest.cli.documents import report
    from models.db import session_scope
    from models.tables import CANONICAL, LINKED, RECEIVED, Document, SiteModelVersion
    from workers import runtime as runtime_module
    from workers.steps.cleaning.site_model import SiteModel

    url = postgres_server.create_database()
    namespace = f"test-{uuid.uuid4().hex[:10]}"
    env = CorpusEnv(data_dir=tmp_path / "data", redis_url=redis_server.url, database_url=url, namespace=namespace)
    try:
        env.activate(monkeypatch)
        rt = runtime_module.runtime()
        with rt.engine.begin() as connection:  # settled documents, as a large ingest leaves them
            connection.execute(insert(Document), [
                {"source": f"inbox/{i:06d}.txt", "site": SITE, "format": "text", "content_hash": f"{i:064x}",
                 "raw": b"x", "raw_size": 1, "hints": {}, "status": CANONICAL, "stage": LINKED}
                for i in range(N)])
        with session_scope(rt.engine) as session:
            ids = {row.id: row.source for row in session.execute(select(Document.id, Document.source))}
            model = SiteModel(site=SITE, lines=(), documents=N, min_support=3)
            session.add(SiteModelVersion(site=SITE, version=1, model=model.to_json(), documents=N, lines=0))
        assert len(ids) == N

        report(rt, ids, {}, as_json=True, unreadable=[])  # what `corpus ingest --wait` prints at the end
        printed = json.loads(capsys.readouterr().out)
        assert printed["summary"]["documents"] == N and printed["summary"]["canonical"] == N
        assert [d["source"] for d in printed["documents"][:2]] == ["inbox/000000.txt", "inbox/000001.txt"]

        runtime_module.reset()
        result = env.run("reclean", "--site", SITE, "--json", timeout=600)
        assert result.returncode == 0, result.stderr[-3000:]
        assert json.loads(result.stdout)["reopened"] == N
        with session_scope(rt.engine) as session:
            assert session.scalar(select(func.count()).where(Document.stage == RECEIVED)) == N
    finally:
        runtime_module.reset()
        servers.delete_namespace(redis_server.url, namespace)
        postgres_server.drop_database(url)

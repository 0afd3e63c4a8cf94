"""The point-of-care service: REST API, CDS Hooks 2.0 and the web UI over the patient record.

* :mod:`.app`: ``create_app(settings)``, the FastAPI application (startup opens the
  database through :func:`tailormed.record.open_database`);
* :mod:`.settings`: configuration from the environment;
* :mod:`.auth`: bearer tokens → :class:`~tailormed.record.Actor`, one session per request;
* :mod:`.api_patients`, :mod:`.api_results`, :mod:`.api_uploads`, :mod:`.api_clinical`,
  :mod:`.api_access`: the REST API under ``/api/v1``;
* :mod:`.hooks`: the CDS Hooks endpoints; :mod:`.cds`: the pure card logic;
* :mod:`.imports`: VCF / outside-call / FHIR uploads → an Interpretation;
* :mod:`.ui`: the server-rendered pages.

Importing this package imports nothing heavy: :mod:`.cds` works without FastAPI.
"""

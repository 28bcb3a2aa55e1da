"""Name resolution through the host's own DNS servers: endpoints (``host[:port]``), host name rules
(``hostnames``), the DNS message format (``wire``), the resolver (``resolver``) and the persisted
host network configuration (``config``)."""

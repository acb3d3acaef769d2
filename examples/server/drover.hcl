# drover.hcl for two (or more) `drover server`s sharing one PostgreSQL state. Put the same file
# on both machines: they elect one leader through a lease row in the database; the other serves
# reads and takes over within lease_ttl of the leader going away.

state {
  backend = "postgres"
  # No password here: give it through PGPASSWORD or ~/.pgpass.
  url = "postgres://drover@db.internal:5432/drover"
}

server {
  # Listen on every interface (the default is 127.0.0.1 only).
  address = "0.0.0.0"
  port    = 4646
  # name defaults to the host name; region and datacenter are what the API reports.
  region     = "global"
  datacenter = "dc1"

  # The leader's lease: another server takes over this long after the leader stops renewing.
  lease_ttl = "15s"

  # Log one JSON object per line (for journald or a log shipper).
  log_json = true

  tls {
    cert = "/etc/drover/tls/server.pem"
    key  = "/etc/drover/tls/server-key.pem"
    ca   = "/etc/drover/tls/ca.pem"
    # Require a client certificate signed by ca.
    verify_client = true
  }
}

node "web-1" {
  address = "10.0.0.11"
  user    = "deploy"
}

node "web-2" {
  address = "10.0.0.12"
  user    = "deploy"
}

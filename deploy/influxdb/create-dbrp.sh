#!/bin/sh
# Maps an InfluxQL database and retention policy (autogen) to an InfluxDB 2.x bucket, so that InfluxQL clients (Grafana's
# InfluxDB data source in InfluxQL mode) can query the bucket. Run by docker-compose.yml's influxdb-dbrp service with
# the influx CLI of the influxdb:2 image; INFLUX_HOST, INFLUX_ORG and INFLUX_TOKEN come from its environment.
# Does nothing when the mapping exists, so it is safe to run on every start.
set -eu
database=${DBRP_DATABASE:-ticks}
bucket=${DBRP_BUCKET:-ticks}

bucket_id=$(influx bucket list --name "$bucket" --hide-headers | awk 'NR == 1 { print $1 }')
if [ -z "$bucket_id" ]; then
  echo "create-dbrp: bucket '$bucket' not found in org '$INFLUX_ORG'" >&2
  exit 1
fi
if influx v1 dbrp list --db "$database" --bucket-id "$bucket_id" --hide-headers | grep -q .; then
  echo "create-dbrp: database '$database' is already mapped to bucket '$bucket' ($bucket_id)"
  exit 0
fi
influx v1 dbrp create --db "$database" --rp autogen --bucket-id "$bucket_id" --default
echo "create-dbrp: database '$database' (retention policy autogen) mapped to bucket '$bucket' ($bucket_id)"

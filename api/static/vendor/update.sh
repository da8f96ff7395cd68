#!/usr/bin/env bash
# Re-creates api/static/vendor/ from the npm registry: the few files /docs and /redoc need.
# Run by hand when upgrading; the result is committed (the service never fetches them).
#   swagger-ui-dist (Apache-2.0): swagger-ui-bundle.js, swagger-ui.css, LICENSE, NOTICE
#   redoc (MIT): bundles/redoc.standalone.js, LICENSE; its logo URL (cdn.redoc.ly) is
#   replaced by an empty data: URI so the page makes no request to another host (the
#   logo then hides itself, as it does when it cannot load).
set -euo pipefail
SWAGGER_UI_VERSION=5.35.0
REDOC_VERSION=2.5.4
cd "$(dirname "$0")/../../.."
out=api/static/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "swagger-ui-dist@$SWAGGER_UI_VERSION" "redoc@$REDOC_VERSION" >/dev/null)
mkdir -p "$work/s" "$work/r" "$out/swagger-ui" "$out/redoc"
tar xzf "$work/swagger-ui-dist-$SWAGGER_UI_VERSION.tgz" -C "$work/s"
tar xzf "$work/redoc-$REDOC_VERSION.tgz" -C "$work/r"
s="$work/s/package" r="$work/r/package"
cp "$s/swagger-ui-bundle.js" "$s/swagger-ui-bundle.js.LICENSE.txt" "$s/swagger-ui.css" "$s/LICENSE" "$s/NOTICE" \
  "$out/swagger-ui/"
cp "$r/bundles/redoc.standalone.js.LICENSE.txt" "$r/LICENSE" "$out/redoc/"
sed 's#https://cdn.redoc.ly/redoc/logo-mini.svg#data:,#' "$r/bundles/redoc.standalone.js" >"$out/redoc/redoc.standalone.js"
if grep -q 'cdn\.redoc\.ly' "$out/redoc/redoc.standalone.js"; then
  echo "redoc still refers to cdn.redoc.ly" >&2
  exit 1
fi
printf 'swagger-ui-dist %s (Apache-2.0)\nredoc %s (MIT)\n' "$SWAGGER_UI_VERSION" "$REDOC_VERSION" >"$out/VERSIONS"
echo "vendored into $out"

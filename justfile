# Day-to-day recipes. Every recipe is a thin wrapper over `cargo xtask`, so nothing here is
# needed to build, run or test gmac: `just` is a convenience.

# Start gmac in demo mode (embedded SQLite, demo data, SPA) on http://127.0.0.1:8080
demo *ARGS:
    cargo xtask demo {{ARGS}}

# Run the server from source against ./gmac-data (rebuild the SPA with `just spa-dev` first)
dev *ARGS:
    cargo run -p gmac-server --bin gmac -- serve {{ARGS}}

# Build the SPA (release, as shipped)
spa:
    cargo xtask spa

# Build the SPA quickly for development
spa-dev:
    cargo xtask spa --dev

# The whole test suite: unit, API on SQLite and PostgreSQL, process smoke test, browser test
test:
    cargo xtask test

# API tests on SQLite only
test-sqlite:
    cargo nextest run -p gmac-tests --test api

# API tests on PostgreSQL at 127.0.0.1:5432
test-pg:
    TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo nextest run -p gmac-tests --test api

# Browser end-to-end tests (needs `just spa` and Chromium)
e2e:
    GMAC_REQUIRE_E2E=1 cargo nextest run -p gmac-tests --test e2e

# rustfmt and clippy -D warnings, host and wasm32
lint:
    cargo xtask lint

# Regenerate openapi/openapi.json after changing the API
openapi:
    cargo xtask openapi

# HTTP benchmarks against a release build
bench:
    cargo xtask bench

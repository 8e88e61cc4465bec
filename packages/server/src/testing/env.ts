// The only place tests read the environment: where the PostgreSQL server for tests is.
// .ci/run sets it; locally the default matches the development machine's trust-auth server.
export const testPostgresAdminUrl =
  process.env.TOOLPLANE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

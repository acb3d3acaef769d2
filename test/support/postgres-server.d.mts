export const PG_SETUP_HINT: string;
export function postgresBinDir(): string;
export interface PostgresServer {
  /** postgres://postgres@127.0.0.1:PORT/postgres */
  url: string;
  port: number;
  dir: string;
  stop(): Promise<void>;
}
export function startPostgres(settings?: Record<string, string | number>): Promise<PostgresServer>;

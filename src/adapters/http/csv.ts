/**
 * CSV answers of the admin and report routes: content negotiation (`?format=csv` or
 * `Accept: text/csv`) and RFC 4180 lines with spreadsheet formulas defused.
 */
import type { Request, Response } from "express";

/** Whether the client asked for CSV: `?format=csv`, or `Accept` preferring text/csv to JSON. */
export function wantsCsv(req: Request): boolean {
  const format = req.query["format"];
  return format === "csv" || (format === undefined && req.accepts(["application/json", "text/csv"]) === "text/csv");
}

/** Quotes a CSV field when needed (RFC 4180), and defuses spreadsheet formulas. */
export function csvField(v: string | null): string {
  if (v === null) return "";
  const s = /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** One CSV line (CRLF-terminated); null and undefined are empty fields. */
export function csvLine(values: (string | number | null | undefined)[]): string {
  return `${values.map((v) => csvField(v === null || v === undefined ? null : String(v))).join(",")}\r\n`;
}

/** Sends a whole CSV document: a header line and the rows. */
export function sendCsv(res: Response, header: string[], rows: (string | number | null | undefined)[][]): void {
  res.type("text/csv; charset=utf-8").send(csvLine(header) + rows.map(csvLine).join(""));
}

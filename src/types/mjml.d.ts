/** The part of mjml 5's API Waymark uses (the package ships no types). */
declare module "mjml" {
  export type MjmlError = { line: number; message: string; tagName: string; formattedMessage: string };
  export type MjmlOptions = { validationLevel?: "strict" | "soft" | "skip"; minify?: boolean; keepComments?: boolean };
  export default function mjml2html(mjml: string, options?: MjmlOptions): Promise<{ html: string; errors: MjmlError[] }>;
}

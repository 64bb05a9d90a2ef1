import path from 'node:path';
import ts from 'typescript';

const ROOT = path.join(__dirname, '..', '..');

/**
 * Type-checks each snippet as its own module under test/ (so `../lib/index.js` resolves), all in
 * one Program with the project's compiler options, and returns each snippet's diagnostics in
 * the order tsc reports them, each flattened to one message text (the whole chain).
 */
export function diagnosticsOf(snippets: Readonly<Record<string, string>>): Map<string, string[]> {
  const config = ts.getParsedCommandLineOfConfigFile(path.join(ROOT, 'tsconfig.json'), {}, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  });
  if (!config) throw new Error('tsconfig.json could not be read');
  const fileOf = (name: string) => path.join(ROOT, 'test', `__snippet_${name}.ts`);
  const files = new Map(Object.entries(snippets).map(([name, text]) => [fileOf(name), text]));
  const host = ts.createCompilerHost(config.options);
  const readFile = host.readFile.bind(host);
  const fileExists = host.fileExists.bind(host);
  host.readFile = (file) => files.get(path.resolve(file)) ?? readFile(file);
  host.fileExists = (file) => files.has(path.resolve(file)) || fileExists(file);
  // Snippets declare what they need and may leave it unused.
  const options = { ...config.options, noUnusedLocals: false, noUnusedParameters: false };
  const program = ts.createProgram({ rootNames: [...files.keys()], options, host });
  const result = new Map<string, string[]>();
  for (const name of Object.keys(snippets)) {
    const file = program.getSourceFile(fileOf(name));
    if (!file) throw new Error(`snippet ${name} was not compiled`);
    const diagnostics = [...program.getSyntacticDiagnostics(file), ...program.getSemanticDiagnostics(file)];
    result.set(
      name,
      diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')),
    );
  }
  return result;
}

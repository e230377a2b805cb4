import type { LoadedConfig, Problem } from '../config';
import { YamlFile } from '../config/yaml-file';

/** What a live check of `validate --check` found: problems at YAML keys, and lines of what is fine. */
export interface CheckReport {
  problems: Problem[];
  lines: string[];
}

export function emptyReport(): CheckReport {
  return { problems: [], lines: [] };
}

export function mergeReports(reports: readonly CheckReport[]): CheckReport {
  return { problems: reports.flatMap((r) => r.problems), lines: reports.flatMap((r) => r.lines) };
}

/** The YAML of the config's files, to place each live problem at the key it is about. */
export class ConfigYaml {
  private constructor(
    readonly daemon: YamlFile,
    private readonly dataflows: ReadonlyMap<string, YamlFile>,
  ) {}

  static async read(config: LoadedConfig): Promise<ConfigYaml> {
    const files = await Promise.all(config.files.map(async (f) => (await YamlFile.read(f)).yaml));
    // config.files lists dataflowd.yaml, then the dataflows' files in the order of config.dataflows.
    const byName = new Map(config.dataflows.map((df, i) => [df.name, files[i + 1] ?? files[0]]));
    return new ConfigYaml(files[0], byName);
  }

  /** The file that defines a dataflow (dataflowd.yaml if, against expectations, it is not known). */
  dataflow(name: string): YamlFile {
    return this.dataflows.get(name) ?? this.daemon;
  }
}

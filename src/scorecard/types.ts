// Plain data shapes of scorecard modelling: the table it reads, the binning it finds, and the model it writes
// (scorecard.json). Everything here is JSON-serialisable so a model file is the whole truth about a scorecard.

/** A parsed data file: header and rows of raw cell text (null = absent, e.g. a JSON Lines key not present). */
export interface Table {
  columns: string[];
  rows: (string | null)[][];
}

/** Bad rate along the variable: ascending = more risk as the value grows; peak = rises then falls; valley = falls then rises. `auto` picks the best monotone trend, or a peak/valley when clearly stronger (see autoBendGain). */
export type Trend = 'ascending' | 'descending' | 'auto' | 'peak' | 'valley' | 'none';

export interface BinningOptions {
  /** How numeric fine classes are cut: equal counts, or a classification tree on the bad flag. */
  prebinning: 'quantile' | 'tree';
  /** Fine classes per numeric variable before coarse binning. */
  maxPrebins: number;
  /** Smallest fine class as a share of the training rows. */
  minPrebinShare: number;
  /** Most coarse bins per variable (special and missing bins not counted). */
  maxBins: number;
  /** Smallest coarse bin as a share of the training rows. */
  minBinShare: number;
  /** Fewest bads in a coarse bin. */
  minBadCount: number;
  /** Fewest goods in a coarse bin. */
  minGoodCount: number;
  /** Default trend; per-variable overrides in `trends`. */
  trend: Trend;
  trends: Record<string, Trend>;
  /** With `auto`, a peak or valley shape is taken instead of the best monotone one only when its IV is this many times larger (Infinity: monotone only). */
  autoBendGain: number;
}

export const DEFAULT_BINNING: BinningOptions = {
  prebinning: 'tree',
  maxPrebins: 20,
  minPrebinShare: 0.03,
  maxBins: 8,
  minBinShare: 0.03,
  minBadCount: 1,
  minGoodCount: 1,
  trend: 'auto',
  trends: {},
  autoBendGain: 1.1,
};

export type VariableType = 'numeric' | 'categorical';

export interface ColumnProfile {
  name: string;
  type: VariableType;
  rows: number;
  missing: number;
  missingRate: number;
  distinct: number;
  /** Count of each declared special value found. */
  special: Record<string, number>;
  min?: number;
  max?: number;
  mean?: number;
  /** Most frequent values (categorical), at most 10. */
  top?: { value: string; count: number }[];
}

export type BinKind = 'range' | 'categories' | 'special' | 'missing';

/** One bin of a variable with its training counts. Numeric ranges are [min, max), either side open. */
export interface Bin {
  kind: BinKind;
  label: string;
  min?: number;
  max?: number;
  values?: (string | number)[];
  count: number;
  good: number;
  bad: number;
  /** Share of all training rows. */
  share: number;
  badRate: number;
  /** ln(share of goods / share of bads): higher = lower risk. */
  woe: number;
  iv: number;
}

export interface VariableBinning {
  name: string;
  type: VariableType;
  /** Range/category bins, then one bin per special value, then the missing bin (always present). */
  bins: Bin[];
  iv: number;
  /** The trend the bins follow (auto resolved). */
  trend: Trend;
  /** WOE given to a category never seen in training. */
  otherWoe: number;
  warnings: string[];
}

export interface SelectionOptions {
  /** Drop variables with IV below this. */
  minIv: number;
  /** Drop variables with IV above this (leakage guard); they are always flagged above 0.5. */
  maxIv: number;
  /** Of two variables whose WOE values correlate beyond this (absolute Pearson), keep the higher-IV one. */
  maxCorrelation: number;
  /** Drop the highest-VIF variable while any VIF exceeds this. */
  maxVif: number;
  /** Forward stepwise selection by BIC over the variables left, or none. */
  stepwise: 'none' | 'forward';
  /** Drop variables whose coefficient has the wrong sign (and refit); when false they are only warned about. */
  dropWrongSign: boolean;
  /** Drop, one at a time, variables whose p-value is above this (1 = keep all). */
  maxPValue: number;
  /** Keep at most this many variables (by selection order). */
  maxVariables: number;
  /** Always offered to the model (still reported when they fail a check). */
  force: string[];
}

export const DEFAULT_SELECTION: SelectionOptions = {
  minIv: 0.02,
  maxIv: Infinity,
  maxCorrelation: 0.9,
  maxVif: 10,
  stepwise: 'none',
  dropWrongSign: true,
  maxPValue: 1,
  maxVariables: 50,
  force: [],
};

export interface ScalingOptions {
  /** Score at the base odds. */
  baseScore: number;
  /** Good:bad odds at the base score (19 = 1 bad in 20). */
  baseOdds: number;
  /** Points to double the odds. */
  pdo: number;
}

export const DEFAULT_SCALING: ScalingOptions = { baseScore: 600, baseOdds: 19, pdo: 50 };

/** A bin of a model attribute: the engine's ScorecardBin plus what the modeller needs to read it. */
export interface ModelBin {
  label: string;
  min?: number;
  max?: number;
  values?: (string | number)[];
  points: number;
  woe: number;
  count: number;
  bad: number;
  badRate: number;
}

export interface ModelAttribute {
  name: string;
  /** Input field (CEL expression in a flow) giving the value. */
  value: string;
  type: VariableType;
  iv: number;
  coefficient: number;
  stdError: number;
  pValue: number;
  bins: ModelBin[];
  /** One entry per special value, checked before the bins. */
  special: (ModelBin & { values: (string | number)[] })[];
  missing: ModelBin;
  /** An unseen category or a non-numeric value in a numeric attribute. */
  other: { points: number; woe: number };
  reasonCode: string;
  reasonMessage: string;
}

export interface VariableSummary {
  name: string;
  type: VariableType;
  iv: number;
  bins: number;
  selected: boolean;
  /** Why it was left out (or a note on why it was kept). */
  note?: string;
}

export interface ScorecardModel {
  format: 'mingjian.scorecard';
  formatVersion: 1;
  name: string;
  target: { column: string; bad: string; trainBadRate: number };
  scaling: ScalingOptions & { factor: number; offset: number };
  intercept: number;
  /** Integer points every applicant starts with (offset - factor * intercept, rounded). */
  basePoints: number;
  attributes: ModelAttribute[];
  /** Lowest and highest totals the bins allow; the 0-100 rating is linear between them. */
  scoreRange: { min: number; max: number };
  /** Score distribution of the training sample, for PSI. */
  monitoring: { scoreBins: { min?: number; max?: number; count: number; share: number }[] };
  variables: VariableSummary[];
  options: { binning: BinningOptions; selection: SelectionOptions; l2: number; special: Record<string, (string | number)[]> };
  regression: { l2: number; iterations: number; converged: boolean; logLikelihood: number; aic: number; bic: number };
  metadata: {
    createdAt: string;
    rows: number;
    trainRows: number;
    testRows: number;
    ootRows: number;
    split: string;
    fingerprint: { algorithm: 'sha256'; digest: string; rows: number; columns: string[] };
  };
  warnings: string[];
}

/** One row scored: the same result whether it came from the API or a file. */
export interface RowScore {
  score: number;
  /** Probability of bad implied by the score through the scaling. */
  probability: number;
  rating: number;
  attributes: { name: string; value: unknown; bin: string; points: number; pointsLost: number }[];
  /** Attributes that lost points, most lost first. */
  reasons: { code: string; attribute: string; pointsLost: number; message: string }[];
}

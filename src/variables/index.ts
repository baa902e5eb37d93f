// Public surface of the variables capability: catalog and lineage, velocity aggregates and their two stores,
// external sources (with the two simulated ones), data quality, and the service the API, CLI and decision path use.
export { loadCatalog, VARIABLE_SOURCE_KINDS, VARIABLE_TYPES, type CatalogVariable, type VariableCatalog, type VariableSourceKind } from './catalog.ts';
export { dependenciesOf, externalSourcesNeeded, unusedVariables, variableUsage, variablesNeeded, type FlowVersionDependencies, type NeededVariable, type ResolveFlowDependencies, type VariableUsage } from './lineage.ts';
export { compareProfiles, populationStabilityIndex, profileRecords, profileValues, type ProfileChange, type VariableProfile } from './data-quality.ts';
export { compileVelocities, compileVelocity, parseWindow, validateVelocityDefinitions, type CompiledVelocity, type VelocityAggregate, type VelocityDefinition, type VelocityValue } from './velocity-definition.ts';
export { validateVelocityEvents, type FieldCondition, type VelocityEvent } from './velocity-event.ts';
export { recountVelocity } from './velocity-window.ts';
export type { VelocityStore } from './velocity-store.ts';
export { EmbeddedVelocityStore } from './embedded-velocity-store.ts';
export { RedisVelocityStore } from './redis-velocity-store.ts';
export { CircuitBreaker, ExternalSource, ExternalSources, validateExternalSources, type ExternalSourceConfig, type SourceFailureReason, type SourceOutcome } from './external-source.ts';
export { handleSimulatedSource, simulatedCreditReport, simulatedIdentityCheck, simulatedSourceConfigs } from './simulated-sources.ts';
export { loadVariablesConfig, loadVariablesConfigFile, type VariablesConfig } from './variables-config.ts';
export { VariablesService, type EnrichResult } from './variables-service.ts';
export { DEFAULT_VARIABLES_FILE, openVariablesRuntime, type VariablesRuntime } from './variables-runtime.ts';

import { RemovalPolicy, Token } from 'aws-cdk-lib';
import { AttributeType, BillingMode, ProjectionType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { Grant } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { CONFIG_VARIABLES } from '../../../src/config/config.js';
import { InvalidPropsError } from '../validation.js';

/** The key schema the DynamoDB repository (`src/adapters/aws/dynamodb-log-repository.ts`) reads and writes. */
export const LOG_TABLE_SCHEMA = {
  partitionKey: 'pk',
  sortKey: 'sk',
  severeIndexName: 'severe-by-time',
  severePartitionKey: 'severePk',
  severeSortKey: 'severeSk',
  ttlAttribute: 'expiresAt',
} as const;

/**
 * Data actions of the splitter, from the repository methods `SplitLogObject` calls: `createBatch` (a transaction of
 * two conditional Puts: PutItem), `getBatch` (GetItem), `saveCheckpoint`/`finishSplitting`/`failBatch`/
 * `completeBatch` (UpdateItem). A duplicate upload is found by the deterministic batch key, not by a Query.
 */
export const SPLITTER_TABLE_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'] as const;

/**
 * Data actions of the worker, from the repository methods `ProcessChunk` calls: `putEntries` (BatchWriteItem of 25);
 * `recordChunkProcessed`/`recordChunkDeadLettered` (TransactWriteItems of Update + Put / Update + ConditionCheck; IAM
 * authorises each part as UpdateItem, PutItem, ConditionCheckItem, there is no separate transaction action);
 * `completeBatch` (UpdateItem); `getBatch` (GetItem). Neither function queries the table or its index.
 */
export const WORKER_TABLE_ACTIONS = [
  'dynamodb:BatchWriteItem',
  'dynamodb:ConditionCheckItem',
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
] as const;

/** Props of {@link LogTable}. */
export interface LogTableProps {
  /**
   * What happens to the table when the stack is deleted. `RETAIN` also turns on deletion protection; use
   * `DESTROY` only for development stacks.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
  /**
   * Physical name of the table. A fixed name cannot be replaced by an update, and two stacks cannot share it.
   * @default - a name CloudFormation generates
   */
  readonly tableName?: string;
  /**
   * Point-in-time recovery (35 days of continuous backups).
   * @default true
   */
  readonly pointInTimeRecovery?: boolean;
}

/**
 * The single on-demand table of batches, chunk markers and entries: `pk`/`sk` keys, the sparse `severe-by-time`
 * index (entries at WARN and above by time), a TTL attribute, point-in-time recovery.
 */
export class LogTable extends Construct {
  /** The table. */
  readonly table: Table;
  /** Name of the sparse index of severe entries. */
  readonly severeIndexName: string = LOG_TABLE_SCHEMA.severeIndexName;

  constructor(scope: Construct, id: string, props: LogTableProps = {}) {
    super(scope, id);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    if (removalPolicy !== RemovalPolicy.RETAIN && removalPolicy !== RemovalPolicy.DESTROY) {
      throw new InvalidPropsError('LogTable', 'removalPolicy', `expected RETAIN or DESTROY, got ${removalPolicy}`);
    }
    if (props.tableName !== undefined && !Token.isUnresolved(props.tableName) && !/^[A-Za-z0-9_.-]{3,255}$/.test(props.tableName)) {
      throw new InvalidPropsError('LogTable', 'tableName', `expected 3 to 255 of A-Z a-z 0-9 _ . -, got "${props.tableName}"`);
    }

    this.table = new Table(this, 'Table', {
      partitionKey: { name: LOG_TABLE_SCHEMA.partitionKey, type: AttributeType.STRING },
      sortKey: { name: LOG_TABLE_SCHEMA.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      tableName: props.tableName,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: props.pointInTimeRecovery ?? true },
      timeToLiveAttribute: LOG_TABLE_SCHEMA.ttlAttribute,
      deletionProtection: removalPolicy === RemovalPolicy.RETAIN,
      removalPolicy,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: LOG_TABLE_SCHEMA.severeIndexName,
      partitionKey: { name: LOG_TABLE_SCHEMA.severePartitionKey, type: AttributeType.STRING },
      sortKey: { name: LOG_TABLE_SCHEMA.severeSortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });
  }

  /** Gives the splitter its table actions ({@link SPLITTER_TABLE_ACTIONS}) and the table's name. */
  connectSplitter(splitter: LambdaFunction): Grant {
    splitter.addEnvironment(CONFIG_VARIABLES.tableName, this.table.tableName);
    return Grant.addToPrincipal({ grantee: splitter, actions: [...SPLITTER_TABLE_ACTIONS], resourceArns: [this.table.tableArn] });
  }

  /** Gives the worker its table actions ({@link WORKER_TABLE_ACTIONS}) and the table's name. */
  connectWorker(worker: LambdaFunction): Grant {
    worker.addEnvironment(CONFIG_VARIABLES.tableName, this.table.tableName);
    return Grant.addToPrincipal({ grantee: worker, actions: [...WORKER_TABLE_ACTIONS], resourceArns: [this.table.tableArn] });
  }
}

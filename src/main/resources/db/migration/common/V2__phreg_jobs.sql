-- Submitted jobs. Until a job is launched this table is its only record (the persistent
-- queue); afterwards Spring Batch's tables hold its executions and this row links to them.
create table phreg_job (
    id              varchar(36)  not null primary key,
    idempotency_key varchar(200) unique,
    spec            text         not null,
    device          varchar(20)  not null,
    queue_state     varchar(20)  not null,
    created_at      timestamp with time zone not null,
    queued_at       timestamp with time zone not null,
    job_instance_id bigint,
    launch_error    varchar(4000)
);

create index phreg_job_queue on phreg_job (queue_state, queued_at);

-- The dispatcher watches only jobs that can still change on their own (queued or active):
-- it keeps the state it last saw in phreg_job.state, indexed, and counts jobs by it.
-- launches counts hand-overs to Spring Batch, so that a relaunched job shows STARTING,
-- not its previous execution's end, until its new execution exists.
alter table phreg_job add column state varchar(20) default 'QUEUED' not null;
alter table phreg_job add column launches integer default 0 not null;

-- Launched jobs are looked at once more by the dispatcher, which settles their state.
update phreg_job set state = 'STARTING', launches = 1 where queue_state = 'LAUNCHED';
update phreg_job set state = 'STOPPED' where queue_state = 'CANCELLED';

create index phreg_job_state on phreg_job (state);

/**
 * The staff area's routes (mentors and admins), loaded as their own chunk like the admin area:
 * participants never download them.
 */
import { Navigate, Route, Routes } from 'react-router';
import { QueuePage } from './QueuePage';
import { StaffConversationsPage } from './StaffConversationsPage';
import { StaffLayout } from './StaffLayout';
import { StaffTranscriptPage } from './StaffTranscriptPage';

export default function StaffArea() {
  return (
    <Routes>
      <Route element={<StaffLayout />}>
        <Route index element={<Navigate to="/staff/queue" replace />} />
        <Route path="queue" element={<QueuePage />} />
        <Route path="conversations" element={<StaffConversationsPage />} />
        <Route path="conversations/:conversationId" element={<StaffTranscriptPage />} />
      </Route>
    </Routes>
  );
}

"""Django admin for providers' schedules (owner only). Appointments are not edited here: every
booking change goes through the audited services, which the database's constraints back."""

from django.contrib import admin

from glabella.scheduling.models import ScheduleException, WeeklyHours


@admin.register(WeeklyHours)
class WeeklyHoursAdmin(admin.ModelAdmin):
    list_display = ["staff", "location", "weekday", "kind", "starts", "ends"]
    list_filter = ["location", "weekday", "kind"]


@admin.register(ScheduleException)
class ScheduleExceptionAdmin(admin.ModelAdmin):
    list_display = ["staff", "day", "kind", "starts", "ends", "location", "note"]
    list_filter = ["kind", "location"]
    date_hierarchy = "day"
